import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { patch } from "@web/core/utils/patch";
import { formatShopTime, toDateTime } from "@pos_orderweb/common/app/utils/orderweb_time";

// The statuses in which an order waits for the kitchen or the customer: its card shows how long.
const WAITING_STATUSES = ["new", "accepted", "ready"];

patch(PosOrder.prototype, {
    /** When an order for later reaches the kitchen's list: its time minus the shop's preparation minutes. */
    get orderwebFiresAt() {
        const scheduled = this.orderwebScheduledAt;
        return scheduled && scheduled.minus({ minutes: this.config.orderweb_preparation_minutes || 0 });
    },
    get orderwebFiresAtLabel() {
        const firesAt = this.orderwebFiresAt;
        return firesAt ? formatShopTime(firesAt, this.config) : "";
    },
    get orderwebWaiting() {
        return WAITING_STATUSES.includes(this.orderweb_status);
    },
    /**
     * Since when the order has waited at ``now``: since it arrived, or since its time came for
     * an order placed in advance (accepted early, it waits from its arrival).
     */
    orderwebWaitingSince(now) {
        const arrived = toDateTime(this.date_order);
        const firesAt = this.orderwebFiresAt;
        return firesAt && firesAt > arrived && firesAt <= now ? firesAt : arrived;
    },
});
