import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { useAsyncLockedMethod } from "@point_of_sale/app/hooks/hooks";
import { OrderDisplay } from "@point_of_sale/app/components/order_display/order_display";
import { CenteredIcon } from "@point_of_sale/app/components/centered_icon/centered_icon";
import { Orderline } from "@point_of_sale/app/components/orderline/orderline";
import { registry } from "@web/core/registry";
import { OnlineOrderTiming } from "@pos_orderweb/common/app/online_orders_screen/online_order_timing";
import { OnlineOrdersScreenBase } from "@pos_orderweb/common/app/online_orders_screen/online_orders_screen";

// 19.0's components and names; the screen itself is in static/src/common.
export class OnlineOrdersScreen extends OnlineOrdersScreenBase {
    static components = { OrderDisplay, Orderline, CenteredIcon, OnlineOrderTiming };

    setup() {
        super.setup();
        this.pos = usePos();
        this.run = useAsyncLockedMethod(this.run);
    }
    total(order) {
        return this.env.utils.formatCurrency(order.getTotalWithTax());
    }
    instructions(order) {
        return order.general_customer_note;
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
