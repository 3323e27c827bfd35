import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { patch } from "@web/core/utils/patch";

// 18.0 only: the number on the tabs and tickets, and the receipt's data.
patch(PosOrder.prototype, {
    setup() {
        super.setup(...arguments);
        // As pos_self_order does for its orders: the number the customer knows is the
        // one shown on the order tabs and the kitchen tickets (19.0 takes it from the server).
        if (this.isOnlineOrder) {
            this.tracking_number = this.orderweb_number;
        }
    },
    export_for_printing() {
        const result = super.export_for_printing(...arguments);
        if (this.isOnlineOrder) {
            result.orderweb = this.orderwebTicket;
        }
        return result;
    },
});
