import { OrderReceipt } from "@point_of_sale/app/screens/receipt_screen/receipt/order_receipt";
import { patch } from "@web/core/utils/patch";
import { receiptTicket } from "@pos_orderweb/adapter";

patch(OrderReceipt.prototype, {
    /** What the receipt prints about an online order (null for another), as the series hands it over. */
    get orderwebTicket() {
        return receiptTicket(this);
    },
});
