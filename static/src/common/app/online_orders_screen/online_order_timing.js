import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { formatWaited } from "@pos_orderweb/common/app/utils/orderweb_time";

const { DateTime } = luxon;

// How often the ages shown move on: often enough for a minute's precision.
const TICK_MS = 15000;

/** On an online order's card: how long it has waited (live), or when an order for later fires. */
export class OnlineOrderTiming extends Component {
    static template = "pos_orderweb.OnlineOrderTiming";
    static props = { order: Object };

    setup() {
        this.clock = useState({ now: Date.now() });
        onMounted(() => {
            this.interval = setInterval(() => (this.clock.now = Date.now()), TICK_MS);
        });
        onWillUnmount(() => clearInterval(this.interval));
    }
    get waited() {
        const now = DateTime.fromMillis(this.clock.now);
        return formatWaited(this.props.order.orderwebWaitingSince(now), now);
    }
}
