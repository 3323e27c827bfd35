import { Component, onMounted, useState } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import {
    CenteredIcon,
    orderInstructions,
    orderLinesComponents,
    orderTotal,
    partnerPhone,
    registerOnlineOrdersScreen,
    useAsyncLockedMethod,
    usePos,
} from "@pos_orderweb/adapter";
import { OnlineOrderTiming } from "@pos_orderweb/common/app/online_orders_screen/online_order_timing";

/**
 * The online orders of the session: a list (number, customer, phone, type, scheduled
 * time, total, paid or to pay, status, red flags), the orders for later under it, and the
 * selected order with its lines, add-ons nested under their item, notes, special
 * instructions and flags, and the cashier's actions. The lines of the opened order are shown
 * as the series shows an order's (pos_orderweb.OnlineOrderLines, static/src/<series>/).
 */
export class OnlineOrdersScreen extends Component {
    static template = "pos_orderweb.OnlineOrdersScreen";
    static components = { ...orderLinesComponents, CenteredIcon, OnlineOrderTiming };
    static props = { orderUuid: { type: String, optional: true } };
    // Leaving the screen returns to the order being rung up, not here.
    static storeOnOrder = false;

    setup() {
        this.pos = usePos();
        this.run = useAsyncLockedMethod(this.run);
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
        return partnerPhone(order.partner_id);
    }
    total(order) {
        return this.env.utils.formatCurrency(orderTotal(order));
    }
    instructions(order) {
        return orderInstructions(order);
    }
    back() {
        this.pos.orderwebLeaveOrders();
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

registerOnlineOrdersScreen(OnlineOrdersScreen);
