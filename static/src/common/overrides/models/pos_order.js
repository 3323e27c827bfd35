import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { formatShopTime, toDateTime } from "@pos_orderweb/common/app/utils/orderweb_time";

const STATUS_RANK = { new: 0, accepted: 1, ready: 2, done: 3, scheduled: 4 };

patch(PosOrder.prototype, {
    /** The POS order of an online order (the import sets its online order number). */
    get isOnlineOrder() {
        return Boolean(this.orderweb_number);
    },
    get orderwebStatusRank() {
        return STATUS_RANK[this.orderweb_status] ?? 0;
    },
    get orderwebStatusLabel() {
        return {
            scheduled: _t("Later"),
            new: _t("New"),
            accepted: _t("Accepted"),
            ready: _t("Ready"),
            done: _t("Done"),
        }[this.orderweb_status || "new"];
    },
    /** The type as the backend words it (the server's one mapping, orderweb.order order_type_label). */
    get orderwebTypeLabel() {
        return this.orderweb_type_label || this.orderweb_type || "";
    },
    /** When the customer wants it (a luxon DateTime), null for as soon as possible. */
    get orderwebScheduledAt() {
        return toDateTime(this.orderweb_scheduled_for);
    },
    /** "As soon as possible", or its time in the shop's time zone (with the day if not today). */
    get orderwebScheduledLabel() {
        const scheduled = this.orderwebScheduledAt;
        return scheduled ? formatShopTime(scheduled, this.config) : _t("As soon as possible");
    },
    /** Prepaid orders are paid when they arrive; the others are paid at the counter. */
    get orderwebPaymentLabel() {
        if (this.orderweb_prepaid) {
            return _t("Paid online");
        }
        return this.finalized ? _t("Paid") : _t("To pay");
    },
    get orderwebToPay() {
        return !this.finalized;
    },
    /** What the kitchen must look at (the import's red flags), one text each. */
    get orderwebFlags() {
        return (this.orderweb_flags || "").split("\n").filter(Boolean);
    },
    get orderwebNeedsAcknowledgement() {
        return Boolean(this.orderweb_flagged && !this.orderweb_flags_acknowledged_by);
    },
    /** Accepted, and its kitchen ticket not sent yet (by this screen or another). */
    get orderwebToSend() {
        return this.orderweb_status === "accepted" && !this.orderweb_sent_at;
    },
    /**
     * What the receipt and the kitchen ticket print about an online order, besides what the
     * POS prints itself (the special instructions are the order's customer note).
     */
    get orderwebTicket() {
        return {
            number: this.orderweb_number,
            type: this.orderwebTypeLabel,
            scheduled: this.orderwebScheduledLabel,
            payment: this.orderwebPaymentLabel,
            flags: this.orderwebFlags,
            // The kitchen ticket leaves these lines off: its items' notes list their add-ons.
            addonUuids: this.lines.filter((l) => l.isOnlineOrderAddon).map((l) => l.uuid),
        };
    },
});
