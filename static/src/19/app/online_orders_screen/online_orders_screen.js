import { Component, onMounted, useState } from "@odoo/owl";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { useAsyncLockedMethod } from "@point_of_sale/app/hooks/hooks";
import { OrderDisplay } from "@point_of_sale/app/components/order_display/order_display";
import { CenteredIcon } from "@point_of_sale/app/components/centered_icon/centered_icon";
import { Orderline } from "@point_of_sale/app/components/orderline/orderline";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The online orders of the session: a list (number, customer, phone, type, scheduled
 * time, total, paid or to pay, status) and the selected order with its lines, add-ons
 * nested under their item, notes and special instructions, and the cashier's actions.
 */
export class OnlineOrdersScreen extends Component {
    static template = "pos_orderweb.OnlineOrdersScreen";
    static components = { OrderDisplay, Orderline, CenteredIcon };
    static props = { orderUuid: { type: String, optional: true } };
    // Leaving the screen returns to the order being rung up, not here.
    static storeOnOrder = false;

    setup() {
        this.pos = usePos();
        this.ui = useState(useService("ui"));
        this.state = useState({ selectedUuid: this.props.orderUuid || null });
        this.run = useAsyncLockedMethod(this.run);
        // Opening the screen is how the cashier sees the orders: stop ringing.
        onMounted(() => this.orders.forEach((order) => this.pos.orderwebAcknowledge(order)));
    }
    get orders() {
        return this.pos.orderwebOrders;
    }
    get selectedOrder() {
        return this.orders.find((o) => o.uuid === this.state.selectedUuid);
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
    total(order) {
        return this.env.utils.formatCurrency(order.getTotalWithTax());
    }
    statusClass(order) {
        return {
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
    back() {
        this.pos.navigate(this.pos.defaultPage.page, this.pos.defaultPage.params);
    }
}

registry.category("pos_pages").add("OnlineOrdersScreen", {
    name: "OnlineOrdersScreen",
    component: OnlineOrdersScreen,
    route: `/pos/ui/${odoo.pos_config_id}/online-orders`,
    params: {}, // the order to open travels as a prop, not in the address
});
