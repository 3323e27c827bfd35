/** @odoo-module alias=@pos_orderweb/adapter default=false */
/**
 * Odoo 19.0's side of the POS screen: what static/src/common imports from
 * "@pos_orderweb/adapter" (the modules that moved, the names that differ) and the patches of
 * what only 19.0 has. Every series' folder has its adapter.js under that one module name.
 */
import { CenteredIcon } from "@point_of_sale/app/components/centered_icon/centered_icon";
import { OrderDisplay } from "@point_of_sale/app/components/order_display/order_display";
import { Orderline } from "@point_of_sale/app/components/orderline/orderline";
import { ClosePosPopup } from "@point_of_sale/app/components/popups/closing_popup/closing_popup";
import { useAsyncLockedMethod } from "@point_of_sale/app/hooks/hooks";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { PosStore } from "@point_of_sale/app/services/pos_store";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import { renderToElement } from "@web/core/utils/render";

export { CenteredIcon, ClosePosPopup, PosStore, useAsyncLockedMethod, usePos };

/** What the template pos_orderweb.OnlineOrderLines (this folder) shows an order's lines with. */
export const orderLinesComponents = { OrderDisplay, Orderline };

export function registerOnlineOrdersScreen(OnlineOrdersScreen) {
    registry.category("pos_pages").add("OnlineOrdersScreen", {
        name: "OnlineOrdersScreen",
        component: OnlineOrdersScreen,
        route: `/pos/ui/${odoo.pos_config_id}/online-orders`,
        params: {}, // the order to open travels as a prop, not in the address
    });
}

/** A datetime field of a POS model (a luxon DateTime already here), null if unset. */
export function toDateTime(value) {
    return value || null;
}

export function orderTotal(order) {
    return order.getTotalWithTax();
}

/** The special instructions: the order's note from the customer. */
export function orderInstructions(order) {
    return order.general_customer_note;
}

/** A customer's phone number (a contact has no mobile field). */
export function partnerPhone(partner) {
    return partner?.phone || "";
}

/** What the receipt prints about an online order (pos_orderweb.OrderReceipt): from its order. */
export function receiptTicket(receipt) {
    return receipt.order.isOnlineOrder ? receipt.order.orderwebTicket : null;
}

// What the store calls by 19.0's names (see common/overrides/models/pos_store.js).
patch(PosStore.prototype, {
    orderwebShowOrders(props = {}) {
        this.navigate("OnlineOrdersScreen", props);
    },
    orderwebLeaveOrders() {
        this.navigate(this.defaultPage.page, this.defaultPage.params);
    },
    orderwebHasPrinters() {
        return Boolean(this.config.printerCategories.size);
    },
    orderwebSetOrder(order) {
        this.setOrder(order);
    },
    // No order lines come by reading orders (they may not be auto-loaded): as 19.0 loads its
    // own orders from the server, lines and payments included.
    async orderwebFetchOrders(domain) {
        return await this.loadServerOrders(domain);
    },
    getOrderData(order) {
        const data = super.getOrderData(...arguments);
        if (order.isOnlineOrder) {
            data.orderweb = order.orderwebTicket;
        }
        return data;
    },
    /** The kitchen ticket of a shop without kitchen printers, as 19.0 prints an order change for them. */
    async orderwebRenderKitchenTicket(order) {
        const data = this.getOrderData(order, false);
        // The lines as models/utils/order_change.js lists them (every line: a shop without
        // printers has no preparation categories to pick from).
        data.changes = {
            title: _t("NEW"),
            data: order.getOrderlines().map((line) => ({
                uuid: line.uuid,
                name: line.getFullProductName(),
                basic_name: line.getProduct().name,
                isCombo: line.combo_item_id?.id,
                product_id: line.getProduct().id,
                attribute_value_names: line.attribute_value_ids.map((value) => value.name),
                quantity: line.getQuantity(),
                note: this.getStrNotes(line.getNote()),
                customer_note: line.getCustomerNote(),
            })),
        };
        return renderToElement("point_of_sale.OrderChangeReceipt", {
            data: await this.prepareReceiptGroupedData(data),
        });
    },
});

// The orderline component shows the line itself.
patch(PosOrderline.prototype, {
    /** On screen too, the name the order came with (19.0 shows the product's name there). */
    get orderDisplayProductName() {
        const display = super.orderDisplayProductName;
        return this.order_id?.isOnlineOrder && this.full_product_name
            ? { ...display, name: this.full_product_name }
            : display;
    },
    /** Add-ons sit indented under their item, on screen and on the receipt. */
    getDisplayClasses() {
        return {
            ...super.getDisplayClasses(...arguments),
            "o_orderweb_addon ms-4 fst-italic": this.isOnlineOrderAddon,
        };
    },
});
