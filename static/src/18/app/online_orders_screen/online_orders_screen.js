import { usePos } from "@point_of_sale/app/store/pos_hook";
import { useAsyncLockedMethod } from "@point_of_sale/app/utils/hooks";
import { OrderWidget } from "@point_of_sale/app/generic_components/order_widget/order_widget";
import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";
import { CenteredIcon } from "@point_of_sale/app/generic_components/centered_icon/centered_icon";
import { registry } from "@web/core/registry";
import { OnlineOrderTiming } from "@pos_orderweb/common/app/online_orders_screen/online_order_timing";
import { OnlineOrdersScreenBase } from "@pos_orderweb/common/app/online_orders_screen/online_orders_screen";

// 18.0's components and names; the screen itself is in static/src/common.
export class OnlineOrdersScreen extends OnlineOrdersScreenBase {
    static components = { OrderWidget, Orderline, CenteredIcon, OnlineOrderTiming };

    setup() {
        super.setup();
        this.pos = usePos();
        this.run = useAsyncLockedMethod(this.run);
    }
    total(order) {
        return this.env.utils.formatCurrency(order.get_total_with_tax());
    }
    instructions(order) {
        return order.general_note;
    }
    back() {
        this.pos.closeScreen();
    }
}

registry.category("pos_screens").add("OnlineOrdersScreen", OnlineOrdersScreen);
