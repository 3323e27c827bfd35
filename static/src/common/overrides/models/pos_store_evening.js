import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { PosStore } from "@pos_orderweb/adapter";

// A ringing tone made to loop (mail's incoming call), already bundled with the POS.
const ORDERWEB_SOUND = "incoming-call";
// The most order numbers one alert names: on a busy evening the rest are counted, so that
// the alert stays small and leaves the screen readable.
const ALERT_NUMBERS_MAX = 3;

/**
 * What the POS store of every series gains for a busy evening: one alert for all the online
 * orders still ringing, and accepting an order for later early.
 */
patch(PosStore.prototype, {
    async setup() {
        // The online orders still ringing, by id, in the order they came.
        this.orderwebRinging = new Map();
        this.orderwebCloseAlert = null;
        await super.setup(...arguments);
    },

    // ------------------------------------------------------------------
    // One alert, whatever the number of orders ringing
    // ------------------------------------------------------------------

    /** The order rings (if the shop wants it) and is named by the alert until acknowledged. */
    alertOnlineOrder(order) {
        if (this.orderwebRinging.has(order.id)) {
            return;
        }
        this.orderwebRinging.set(order.id, order);
        if (this.config.orderweb_sound) {
            this.sound.play(ORDERWEB_SOUND, { loop: true });
        }
        this.orderwebRefreshAlert();
    },
    orderwebAcknowledge(order) {
        if (!this.orderwebRinging.delete(order.id)) {
            return;
        }
        if (!this.orderwebRinging.size) {
            this.sound.stop(ORDERWEB_SOUND);
        }
        this.orderwebRefreshAlert();
    },
    orderwebAcknowledgeAll() {
        [...this.orderwebRinging.values()].forEach((order) => this.orderwebAcknowledge(order));
    },
    /** Redraw the alert once the orders arriving together are all counted (a screen opening finds many). */
    orderwebRefreshAlert() {
        this.orderwebAlertRefresh ||= Promise.resolve().then(() => {
            this.orderwebAlertRefresh = null;
            this.orderwebShowAlert();
        });
    },
    orderwebShowAlert() {
        if (this.orderwebCloseAlert) {
            const close = this.orderwebCloseAlert;
            // Replaced, not dismissed by the cashier: nothing to acknowledge.
            this.orderwebCloseAlert = null;
            close();
        }
        const orders = [...this.orderwebRinging.values()];
        if (!orders.length) {
            return;
        }
        const [first] = orders;
        const single = orders.length === 1;
        const close = this.notification.add(single ? this.orderwebAlertDetails(first) : this.orderwebAlertNumbers(orders), {
            title: single
                ? _t("New online order %s", first.orderweb_number)
                : _t("%s new online orders", orders.length),
            type: "warning",
            sticky: true,
            className: "o_orderweb_notification",
            buttons: [
                {
                    name: _t("Open"),
                    primary: true,
                    onClick: () => (single ? this.orderwebOpen(first) : this.orderwebOpenAll()),
                },
            ],
            onClose: () => {
                if (this.orderwebCloseAlert === close) {
                    this.orderwebCloseAlert = null;
                    this.orderwebAcknowledgeAll();
                }
            },
        });
        this.orderwebCloseAlert = close;
    },
    orderwebAlertDetails(order) {
        return [
            order.partner_id?.name,
            order.orderwebTypeLabel,
            order.orderwebScheduledLabel,
            order.orderwebPaymentLabel,
        ]
            .filter(Boolean)
            .join(" · ");
    },
    orderwebAlertNumbers(orders) {
        const numbers = orders.slice(0, ALERT_NUMBERS_MAX).map((o) => o.orderweb_number).join(", ");
        const more = orders.length - ALERT_NUMBERS_MAX;
        return more > 0 ? _t("%(numbers)s and %(count)s more", { numbers, count: more }) : numbers;
    },
    orderwebOpenAll() {
        this.orderwebAcknowledgeAll();
        this.orderwebShowOrders();
    },

    // ------------------------------------------------------------------
    // An order for later, accepted early
    // ------------------------------------------------------------------

    /** Only on the cashier's explicit word: it goes to the kitchen now instead of at its time. */
    async orderwebAcceptEarly(order) {
        const confirmed = await new Promise((resolve) => {
            this.dialog.add(
                ConfirmationDialog,
                {
                    title: _t("Accept %s now?", order.orderweb_number),
                    body: _t(
                        "It is for %(when)s and would reach the kitchen at %(fires)s. Accept it now and send it to the kitchen?",
                        {
                            when: order.orderwebScheduledLabel,
                            fires: order.orderwebFiresAtLabel,
                        }
                    ),
                    confirmLabel: _t("Accept now"),
                    confirm: () => resolve(true),
                    cancel: () => resolve(false),
                },
                { onClose: () => resolve(false) }
            );
        });
        if (confirmed) {
            await this.orderwebAccept(order);
        }
    },
});
