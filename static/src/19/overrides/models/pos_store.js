import { PosStore } from "@point_of_sale/app/services/pos_store";
import { patch } from "@web/core/utils/patch";
import { OnlineOrderStore } from "@pos_orderweb/common/overrides/models/pos_store";

patch(PosStore.prototype, OnlineOrderStore);

// What 19.0 calls by its own names.
patch(PosStore.prototype, {
    orderwebShowOrders(props = {}) {
        this.navigate("OnlineOrdersScreen", props);
    },
    orderwebHasPrinters() {
        return Boolean(this.config.printerCategories.size);
    },
    orderwebSetOrder(order) {
        this.setOrder(order);
    },
    // 19.0 loads no order lines by reading orders (they may not be auto-loaded): as it loads
    // its own orders from the server, lines and payments included.
    async orderwebFetchOrders(domain) {
        return await this.loadServerOrders(domain);
    },
    getOrderData(order) {
        const data = super.getOrderData(...arguments);
        if (order.isOnlineOrder) {
            data.orderweb = order.orderwebTicket;
        }
        return data;
    },
});
