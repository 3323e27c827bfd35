import { PosStore } from "@point_of_sale/app/store/pos_store";
import { patch } from "@web/core/utils/patch";
import { OnlineOrderStore } from "@pos_orderweb/common/overrides/models/pos_store";

patch(PosStore.prototype, OnlineOrderStore);

// What 18.0 calls by its own names.
patch(PosStore.prototype, {
    orderwebShowOrders(props = {}) {
        this.showScreen("OnlineOrdersScreen", props);
    },
    orderwebHasPrinters() {
        return Boolean(this.printers_category_ids_set.size);
    },
    orderwebSetOrder(order) {
        this.set_order(order);
    },
    async orderwebFetchOrders(domain) {
        return await this.data.searchRead("pos.order", domain);
    },
    getPrintingChanges(order) {
        const changes = super.getPrintingChanges(...arguments);
        if (order.isOnlineOrder) {
            changes.orderweb = order.orderwebTicket;
        }
        return changes;
    },
});
