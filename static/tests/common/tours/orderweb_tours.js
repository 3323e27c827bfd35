import { registry } from "@web/core/registry";
import {
    click,
    detailHas,
    kitchenTicketShows,
    markPage,
    notificationShown,
    openFromNotification,
    pageNotReloaded,
    statusIs,
    waitingCountIs,
} from "@pos_orderweb/../tests/common/tours/orderweb_tour_utils";
import {
    Chrome,
    negate,
    openOrderList,
    openRegister,
    PaymentScreen,
    ReceiptScreen,
} from "@pos_orderweb/../tests/series_steps";

registry.category("web_tour.tours").add("pos_orderweb_live_order", {
    steps: () =>
        [
            ...openRegister(),
            markPage(),
            {
                content: "the shop receives online orders: the button is there, nothing waits",
                trigger: `.o_orderweb_navbar_button:not(:has(.o_orderweb_waiting_count))`,
            },
            // The test now receives KIT-5001 through service.importer.receive.
            ...notificationShown("KIT-5001", ["Ada Lovelace", "Pickup", "As soon as possible", "To pay"]),
            waitingCountIs(1),
            pageNotReloaded(),
            openFromNotification("KIT-5001"),
            {
                content: "acknowledged: the notification is gone",
                trigger: negate(".o_orderweb_notification"),
            },
            {
                content: "the list shows number, customer, phone, type, total, payment, status",
                trigger:
                    ".o_orderweb_row[data-number='KIT-5001']:contains(Ada Lovelace):contains(+447700900123):contains(Pickup):contains(18.49):contains(To pay):contains(New)",
            },
            detailHas(".badge", "Online order"),
            detailHas(".o_orderweb_detail_number", "KIT-5001"),
            {
                content: "the add-on is its own line right under its item",
                trigger:
                    `.o_orderweb_detail .orderline:contains(Classic Burger) + .orderline.o_orderweb_addon:contains("+ Extra cheese")`,
            },
            {
                content: "the add-on shows once: its line, not again in the item's note",
                trigger: ".o_orderweb_detail .orderline:contains(Classic Burger):not(:contains(Extra cheese))",
            },
            detailHas(".orderline", "Sweet potato fries"),
            detailHas(".o_orderweb_instructions", "No onions please"),
            click(".o_orderweb_detail .o_orderweb_accept", "accept the order"),
            statusIs("Accepted"),
            kitchenTicketShows("KIT-5001", [
                "KIT-5001",
                "Pickup",
                "As soon as possible",
                "Classic Burger",
                "With: Extra cheese",
                "Sweet potato fries",
                "No onions please",
            ]),
            {
                content: "nothing waits any more",
                trigger: ".o_orderweb_navbar_button:not(:has(.o_orderweb_waiting_count))",
            },
            click(".o_orderweb_detail .o_orderweb_ready", "mark it ready"),
            statusIs("Ready"),
            {
                content: "an order to pay at the counter cannot be done before it is paid",
                trigger: ".o_orderweb_detail:not(:has(.o_orderweb_done))",
            },
            click(".o_orderweb_detail .o_orderweb_pay", "pay it at the counter"),
            PaymentScreen.isShown(),
            PaymentScreen.totalIs("18.49"),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            {
                content: "the receipt names the online order, its type and time",
                trigger:
                    ".pos-receipt .o_orderweb_receipt:contains(KIT-5001):contains(Pickup):contains(As soon as possible)",
            },
            {
                content: "the receipt lists the add-on",
                trigger: `.pos-receipt .orderline.o_orderweb_addon:contains("+ Extra cheese")`,
            },
            {
                content: "once",
                trigger: ".pos-receipt:not(:contains(With: Extra cheese))",
            },
            ReceiptScreen.clickNextOrder(),
            click(".o_orderweb_navbar_button", "back to the online orders"),
            click(".o_orderweb_row[data-number='KIT-5001']", "open KIT-5001 again"),
            detailHas(".o_orderweb_detail_payment", "Paid"),
            click(".o_orderweb_detail .o_orderweb_done", "hand it over: done"),
            statusIs("Done"),
            pageNotReloaded(),
        ].flat(),
});

registry.category("web_tour.tours").add("pos_orderweb_prepaid_order", {
    steps: () =>
        [
            ...openRegister(),
            markPage(),
            // The test now receives KIT-5002, paid on OrderWeb, for delivery at 18:30 today.
            ...notificationShown("KIT-5002", ["Grace Hopper", "Delivery", "Paid online"]),
            waitingCountIs(1),
            pageNotReloaded(),
            openFromNotification("KIT-5002"),
            detailHas(".o_orderweb_detail_number", "KIT-5002"),
            detailHas(".o_orderweb_detail_payment", "Paid online"),
            detailHas(".o_orderweb_detail_when", "Delivery"),
            {
                content: "a prepaid order has no payment step",
                trigger: ".o_orderweb_detail:not(:has(.o_orderweb_pay))",
            },
            click(".o_orderweb_detail .o_orderweb_accept", "accept the order"),
            statusIs("Accepted"),
            {
                content: "it can be handed over straight away",
                trigger: ".o_orderweb_detail .o_orderweb_done",
            },
        ].flat(),
});

registry.category("web_tour.tours").add("pos_orderweb_guards", {
    steps: () =>
        [
            ...openRegister(),
            // The test now receives KIT-5004, to pay at the counter.
            ...notificationShown("KIT-5004", ["Ada Lovelace"]),
            openOrderList(),
            {
                content: "the online order is listed with its number, without a delete button",
                trigger: ".ticket-screen .order-row:contains(KIT-5004):not(:has(.delete-button))",
            },
            Chrome.clickMenuOption("Close Register"),
            {
                content: "the closing popup names the online order still to pay",
                trigger: ".close-pos-popup .o_orderweb_closing li:contains(KIT-5004):contains(18.49)",
            },
            click(".close-pos-popup .o_orderweb_closing button", "open the online orders from there"),
            {
                content: "the online orders screen lists it",
                trigger: ".o_orderweb_orders_screen .o_orderweb_row[data-number='KIT-5004']",
            },
        ].flat(),
});
