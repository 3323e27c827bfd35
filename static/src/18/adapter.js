/** @odoo-module alias=@pos_orderweb/adapter default=false */
/**
 * Odoo 18.0's side of the POS screen: what static/src/common imports from
 * "@pos_orderweb/adapter" (the modules that moved, the names that differ) and the patches of
 * what only 18.0 has. Every series' folder has its adapter.js under that one module name.
 */
import { CenteredIcon } from "@point_of_sale/app/generic_components/centered_icon/centered_icon";
import { Orderline } from "@point_of_sale/app/generic_components/orderline/orderline";
import { OrderWidget } from "@point_of_sale/app/generic_components/order_widget/order_widget";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { ClosePosPopup } from "@point_of_sale/app/navbar/closing_popup/closing_popup";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { useAsyncLockedMethod } from "@point_of_sale/app/utils/hooks";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";

export { CenteredIcon, ClosePosPopup, PosStore, useAsyncLockedMethod, usePos };

/** What the template pos_orderweb.OnlineOrderLines (this folder) shows an order's lines with. */
export const orderLinesComponents = { OrderWidget, Orderline };

export function registerOnlineOrdersScreen(OnlineOrdersScreen) {
    registry.category("pos_screens").add("OnlineOrdersScreen", OnlineOrdersScreen);
}

/** A datetime field of a POS model (the server's text here) as a luxon DateTime, null if unset. */
export function toDateTime(value) {
    return value ? deserializeDateTime(value) : null;
}

export function orderTotal(order) {
    return order.get_total_with_tax();
}

/** The special instructions: the order's note from the customer. */
export function orderInstructions(order) {
    return order.general_note;
}

/** A customer's phone number (a contact has a mobile too). */
export function partnerPhone(partner) {
    return partner?.phone || partner?.mobile || "";
}

/** What the receipt prints about an online order (pos_orderweb.OrderReceipt): the data it was given. */
export function receiptTicket(receipt) {
    return receipt.props.data.orderweb;
}

// What the store calls by 18.0's names (see common/overrides/models/pos_store.js).
patch(PosStore.prototype, {
    orderwebShowOrders(props = {}) {
        this.showScreen("OnlineOrdersScreen", props);
    },
    orderwebLeaveOrders() {
        this.closeScreen();
    },
    orderwebHasPrinters() {
        return Boolean(this.printers_category_ids_set.size);
    },
    orderwebSetOrder(order) {
        this.set_order(order);
    },
    async orderwebFetchOrders(domain) {
        return await this.data.searchRead("pos.order", domain);
    },
    getPrintingChanges(order) {
        const changes = super.getPrintingChanges(...arguments);
        if (order.isOnlineOrder) {
            changes.orderweb = order.orderwebTicket;
        }
        return changes;
    },
    /** The kitchen ticket of a shop without kitchen printers, as 18.0 prints an order change for them. */
    async orderwebRenderKitchenTicket(order) {
        // The lines as models/utils/order_change.js lists them (every line: a shop without
        // printers has no preparation categories to pick from).
        const lines = order.get_orderlines().map((line) => ({
            uuid: line.uuid,
            name: line.get_full_product_name(),
            display_name: line.product_id.display_name,
            isCombo: line.combo_item_id?.id,
            product_id: line.product_id.id,
            attribute_value_ids: line.attribute_value_ids,
            quantity: line.get_quantity(),
            note: line.getNote(),
        }));
        // A full receipt: it also prints the special instructions (the order's note).
        return await this.getRenderedReceipt(order, _t("New"), lines, true);
    },
});

patch(PosOrder.prototype, {
    setup() {
        super.setup(...arguments);
        // As pos_self_order does for its orders: the number the customer knows is the one
        // shown on the order tabs and the kitchen tickets (19.0 takes it from the server).
        if (this.isOnlineOrder) {
            this.tracking_number = this.orderweb_number;
        }
    },
    export_for_printing() {
        const result = super.export_for_printing(...arguments);
        if (this.isOnlineOrder) {
            result.orderweb = this.orderwebTicket;
        }
        return result;
    },
});

// The orderline component shows display data, which now tells an add-on apart
// (pos_orderweb.Orderline, this folder, indents it).
patch(PosOrderline.prototype, {
    getDisplayData() {
        const data = super.getDisplayData(...arguments);
        return {
            ...data,
            onlineOrderAddon: this.isOnlineOrderAddon,
            internalNote: this.orderwebNoteOnScreen(data.internalNote),
        };
    },
});
patch(Orderline, {
    props: {
        ...Orderline.props,
        line: {
            ...Orderline.props.line,
            shape: {
                ...Orderline.props.line.shape,
                onlineOrderAddon: { type: Boolean, optional: true },
            },
        },
    },
});
