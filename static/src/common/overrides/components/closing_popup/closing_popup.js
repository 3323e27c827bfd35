import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { ClosePosPopup } from "@pos_orderweb/adapter";

patch(ClosePosPopup.prototype, {
    /** Online orders still to pay: they block closing, so the popup names them first. */
    get orderwebOpenOrders() {
        return this.pos.orderwebOrders.filter((order) => order.orderwebToPay);
    },
    orderwebShowOrders() {
        this.props.close();
        this.pos.orderwebShowOrders();
    },
    /**
     * Odoo offers to cancel every draft order when closing fails; online orders were
     * placed by customers, so the server answers with them and we show what to do instead.
     */
    async handleClosingError(response) {
        if (!response.orderweb_order_ids) {
            return await super.handleClosingError(...arguments);
        }
        this.dialog.add(AlertDialog, {
            title: response.title,
            body: response.message,
            confirmLabel: _t("Open online orders"),
            confirm: () => this.orderwebShowOrders(),
        });
    },
});
