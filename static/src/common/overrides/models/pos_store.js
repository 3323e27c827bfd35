import { AlertDialog, ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { PosStore } from "@pos_orderweb/adapter";

// How often a screen looks for accepted orders whose kitchen ticket no screen sent (the one
// that claimed it closed or reloaded mid-way: the server lets its claim lapse after 30 s).
const KITCHEN_RETRY_MS = 20000;

/**
 * What the POS store of every series gains. The series' adapter (static/src/<series>/adapter.js)
 * names what each series calls otherwise: orderwebShowOrders, orderwebLeaveOrders,
 * orderwebHasPrinters, orderwebSetOrder, orderwebFetchOrders (orders with their lines),
 * orderwebRenderKitchenTicket, and what the kitchen ticket is given.
 */
patch(PosStore.prototype, {
    async setup() {
        // One kitchen sending at a time on this screen, in the order asked.
        this.orderwebKitchenQueue = Promise.resolve();
        await super.setup(...arguments);
        this.data.connectWebSocket("ORDERWEB_NEW_ORDER", ({ order_ids }) =>
            this.onOrderWebNewOrders(order_ids)
        );
        this.data.connectWebSocket("ORDERWEB_ORDER_STATUS", ({ order_ids, login_number }) => {
            if (login_number != odoo.login_number) {
                this.orderwebLoadOrders(order_ids, { reload: true });
            }
        });
        setInterval(
            // Offline or refused: the next round tries again.
            () => this.orderwebSendToKitchen(this.orderwebOrders).catch(() => {}),
            KITCHEN_RETRY_MS
        );
    },
    async afterProcessServerData() {
        await super.afterProcessServerData(...arguments);
        // Drafts of the session are loaded by the POS itself; prepaid online orders are
        // paid from the start, so those still to hand over are fetched here.
        await this.orderwebFetchOrders([
            ["session_id", "=", this.session.id],
            ["orderweb_number", "!=", false],
            ["state", "!=", "draft"],
            ["orderweb_status", "!=", "done"],
        ]);
        for (const order of this.orderwebOrders.filter((o) => o.orderweb_status === "new")) {
            this.alertOnlineOrder(order);
        }
        // Accepted while no screen was open (on arrival, or when their time came).
        await this.orderwebSendToKitchen(this.orderwebOrders);
    },

    // ------------------------------------------------------------------
    // Arrival
    // ------------------------------------------------------------------

    /**
     * The bus only carries ids. SYNCHRONISATION loads new drafts too, but the alert
     * must not wait for it and must also cover prepaid (already paid) orders.
     */
    async onOrderWebNewOrders(orderIds) {
        // Read again: an order for later, known here already, just reached its time.
        const orders = await this.orderwebLoadOrders(orderIds, { reload: true });
        // Accepted on arrival (the shop accepts automatically) or new: either way it rings.
        for (const order of orders.filter((o) => ["new", "accepted"].includes(o.orderweb_status))) {
            this.alertOnlineOrder(order);
        }
        await this.orderwebSendToKitchen(orders);
    },
    async orderwebLoadOrders(orderIds, { reload = false } = {}) {
        const missing = reload
            ? orderIds
            : orderIds.filter((id) => !this.models["pos.order"].get(id));
        if (missing.length) {
            await this.orderwebFetchOrders([["id", "in", missing]]);
        }
        const orders = this.models["pos.order"].readMany(orderIds).filter(Boolean);
        // Another screen accepted them: stop ringing here too.
        orders
            .filter((o) => !["new", "accepted"].includes(o.orderweb_status))
            .forEach((o) => this.orderwebAcknowledge(o));
        return orders;
    },
    orderwebOpen(order) {
        this.orderwebAcknowledge(order);
        this.orderwebShowOrders({ orderUuid: order.uuid });
    },

    // ------------------------------------------------------------------
    // The online orders of the session
    // ------------------------------------------------------------------

    /** Not done first, by status, then by scheduled time (as soon as possible first). */
    get orderwebOrders() {
        return this.models["pos.order"]
            .filter((o) => o.isOnlineOrder && o.state !== "cancel")
            .sort(
                (a, b) =>
                    a.orderwebStatusRank - b.orderwebStatusRank ||
                    (a.orderwebScheduledAt?.toMillis() ?? 0) - (b.orderwebScheduledAt?.toMillis() ?? 0) ||
                    a.id - b.id
            );
    },
    get orderwebWaitingCount() {
        return this.orderwebOrders.filter((o) => o.orderweb_status === "new").length;
    },
    get showOrderWebButton() {
        return this.config.orderweb_receiving || this.orderwebOrders.length > 0;
    },
    async orderwebCall(method, order) {
        return await this.data.callRelated("pos.order", method, [[order.id], this.config.id], {
            context: { login_number: parseInt(odoo.login_number) },
        });
    },
    /**
     * Accepting sends the order to the kitchen. A flagged order is accepted only once the
     * cashier acknowledged its flags (the server keeps who and when).
     */
    async orderwebAccept(order) {
        this.orderwebAcknowledge(order);
        if (order.orderwebNeedsAcknowledgement && !(await this.orderwebConfirmFlags(order))) {
            return;
        }
        await this.data.callRelated("pos.order", "orderweb_accept", [[order.id], this.config.id], {
            acknowledge_flags: order.orderwebNeedsAcknowledgement,
            context: { login_number: parseInt(odoo.login_number) },
        });
        // Not awaited: the cashier can go on while the ticket prints (a failure still shows).
        this.orderwebSendToKitchen([order]);
    },
    orderwebConfirmFlags(order) {
        return new Promise((resolve) => {
            this.dialog.add(
                ConfirmationDialog,
                {
                    title: _t("Red flags on %s", order.orderweb_number),
                    body: order.orderwebFlags.join("\n"),
                    confirmLabel: _t("Checked, accept"),
                    confirm: () => resolve(true),
                    cancel: () => resolve(false),
                },
                { onClose: () => resolve(false) }
            );
        });
    },
    /**
     * Send the kitchen tickets of the accepted ``orders`` no screen sent yet: to the kitchen
     * printers, or as the receipt without any. The server hands each to one screen only
     * (``orderweb_kitchen_claim``), whichever screens of the shop are open.
     */
    orderwebSendToKitchen(orders) {
        const sending = this.orderwebKitchenQueue.then(() => this.orderwebSendNow(orders));
        this.orderwebKitchenQueue = sending.catch(() => {});
        return sending;
    },
    async orderwebSendNow(orders) {
        const toSend = orders.filter((o) => o.orderwebToSend);
        if (!toSend.length) {
            return;
        }
        // The server holds each claim for this very screen (its login number), not its user's others.
        const screen = { context: { login_number: parseInt(odoo.login_number) } };
        const claimed = await this.data.call(
            "pos.order",
            "orderweb_kitchen_claim",
            [toSend.map((o) => o.id)],
            screen
        );
        for (const order of toSend.filter((o) => claimed.includes(o.id))) {
            await this.orderwebPrintKitchenTicket(order);
        }
        if (claimed.length) {
            await this.data.call("pos.order", "orderweb_kitchen_sent", [claimed], screen);
        }
        await this.data.read("pos.order", toSend.map((o) => o.id));
    },
    /**
     * To the kitchen printers or, without any, the same kitchen ticket (no prices, the red
     * flags) through the receipt printer or the browser's print: never the customer's receipt.
     */
    async orderwebPrintKitchenTicket(order) {
        if (this.orderwebHasPrinters()) {
            await this.sendOrderInPreparationUpdateLastChange(order);
        } else {
            const ticket = await this.orderwebRenderKitchenTicket(order);
            await this.printer.printHtml(ticket, { webPrintFallback: true });
        }
    },
    async orderwebReady(order) {
        this.orderwebAcknowledge(order);
        await this.orderwebCall("orderweb_ready", order);
    },
    async orderwebDone(order) {
        await this.orderwebCall("orderweb_done", order);
    },
    /** An order to pay at the counter goes through the normal payment screen. */
    orderwebPay(order) {
        this.orderwebAcknowledge(order);
        this.orderwebSetOrder(order);
        this.pay();
    },

    // ------------------------------------------------------------------
    // Guards and tickets
    // ------------------------------------------------------------------

    async onDeleteOrder(order) {
        if (order.isOnlineOrder) {
            this.orderwebRefuseDeletion(order);
            return false;
        }
        return await super.onDeleteOrder(...arguments);
    },
    async _onBeforeDeleteOrder(order) {
        if (order.isOnlineOrder) {
            this.orderwebRefuseDeletion(order);
            return false;
        }
        return await super._onBeforeDeleteOrder(...arguments);
    },
    orderwebRefuseDeletion(order) {
        this.dialog.add(AlertDialog, {
            title: _t("Online orders cannot be deleted"),
            body: _t(
                "%s was placed online by a customer. Take its payment or, if the customer cancelled, cancel it from the backend (Point of Sale > Orders).",
                order.orderweb_number
            ),
        });
    },
});
