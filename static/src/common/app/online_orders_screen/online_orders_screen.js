import { Component, onMounted, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";

/**
 * The online orders of the session: a list (number, customer, phone, type, scheduled
 * time, total, paid or to pay, status, red flags), the orders for later under it, and the
 * selected order with its lines, add-ons nested under their item, notes, special
 * instructions and flags, and the cashier's actions. static/src/<series>/app/
 * online_orders_screen/ gives it the series' components and names (OnlineOrdersScreen).
 */
export class OnlineOrdersScreenBase extends Component {
    static template = "pos_orderweb.OnlineOrdersScreen";
    static props = { orderUuid: { type: String, optional: true } };
    // Leaving the screen returns to the order being rung up, not here.
    static storeOnOrder = false;

    setup() {
        // this.pos: the series' usePos(), set by the subclass.
        this.ui = useState(useService("ui"));
        this.state = useState({ selectedUuid: this.props.orderUuid || null });
        // Opening the screen is how the cashier sees the orders: stop ringing.
        onMounted(() => this.orders.forEach((order) => this.pos.orderwebAcknowledge(order)));
    }
    /** The orders to make now or done: those for later are listed apart. */
    get orders() {
        return this.pos.orderwebOrders.filter((o) => o.orderweb_status !== "scheduled");
    }
    get laterOrders() {
        return this.pos.orderwebOrders.filter((o) => o.orderweb_status === "scheduled");
    }
    get selectedOrder() {
        return this.pos.orderwebOrders.find((o) => o.uuid === this.state.selectedUuid);
    }
    select(order) {
        this.state.selectedUuid = order.uuid;
    }
    unselect() {
        this.state.selectedUuid = null;
    }
    phone(order) {
        return order.partner_id?.phone || order.partner_id?.mobile || "";
    }
    statusClass(order) {
        return {
            scheduled: "text-bg-secondary",
            new: "text-bg-danger",
            accepted: "text-bg-warning",
            ready: "text-bg-info",
            done: "text-bg-success",
        }[order.orderweb_status || "new"];
    }
    /** Runs one cashier action at a time (a double tap must not accept twice). */
    async run(action, order) {
        await this.pos[action](order);
    }
}
