import { PosOrderline } from "@point_of_sale/app/models/pos_order_line";
import { patch } from "@web/core/utils/patch";

// 19.0: the orderline component shows the line itself.
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
