import { TicketScreen } from "@point_of_sale/app/screens/ticket_screen/ticket_screen";
import { patch } from "@web/core/utils/patch";

patch(TicketScreen.prototype, {
    // Online orders cannot be deleted (see PosStore.onDeleteOrder): do not offer it.
    shouldHideDeleteButton(order) {
        return order.isOnlineOrder || super.shouldHideDeleteButton(...arguments);
    },
});
