import { PosStore } from "@point_of_sale/app/services/pos_store";
import { patch } from "@web/core/utils/patch";
import { OnlineOrderEveningStore } from "@pos_orderweb/common/overrides/models/pos_store_evening";

patch(PosStore.prototype, OnlineOrderEveningStore);
