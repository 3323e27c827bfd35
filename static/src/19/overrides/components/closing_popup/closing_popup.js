import { ClosePosPopup } from "@point_of_sale/app/components/popups/closing_popup/closing_popup";
import { patch } from "@web/core/utils/patch";
import { OnlineOrderClosingPopup } from "@pos_orderweb/common/overrides/components/closing_popup/closing_popup";

patch(ClosePosPopup.prototype, OnlineOrderClosingPopup);
