import { registry } from "@web/core/registry";
import { openRegister } from "@pos_orderweb/../tests/series_steps";
import {
    click,
    detailHas,
    kitchenTicketShows,
    notificationShown,
    statusIs,
} from "@pos_orderweb/../tests/common/tours/orderweb_tour_utils";

async function waitFor(condition, what, timeout = 30000) {
    const start = Date.now();
    while (!condition()) {
        if (Date.now() - start > timeout) {
            throw new Error(`Still waiting for ${what} after ${timeout} ms.`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/** Count, in this page, the kitchen tickets each screen sends (instead of printing them). */
function countKitchenTickets(pos, screen) {
    window.orderwebKitchenTickets ||= [];
    pos.orderwebPrintKitchenTicket = async (order) => {
        window.orderwebKitchenTickets.push({ screen, number: order.orderweb_number });
    };
}

registry.category("web_tour.tours").add("pos_orderweb_auto_accept", {
    steps: () =>
        [
            {
                content: "open a second screen of the shop beside this one (another tablet)",
                trigger: ".pos .pos-topheader",
                run: async () => {
                    // Two devices stand here in one browser: they share its storage, through which
                    // the POS closes a tab when another opens the same session. This one stays.
                    window.posmodel.closePos = () => {};
                    countKitchenTickets(window.posmodel, "first");
                    const frame = document.createElement("iframe");
                    frame.className = "o_orderweb_second_screen";
                    frame.style.cssText = "position: fixed; width: 800px; height: 600px; bottom: 0; right: 0;";
                    frame.src = window.location.href;
                    document.body.appendChild(frame);
                    await waitFor(
                        () => frame.contentWindow.posmodel?.orderwebKitchenQueue,
                        "the second screen to load"
                    );
                    countKitchenTickets(frame.contentWindow.posmodel, "second");
                },
            },
            ...openRegister(),
            // The test now receives KIT-5101; the shop accepts online orders automatically.
            ...notificationShown("KIT-5101", ["Ada Lovelace"]),
            {
                content: "its kitchen ticket was sent once, by one of the two screens",
                trigger: ".pos",
                run: async () => {
                    await waitFor(() => window.orderwebKitchenTickets.length, "a kitchen ticket");
                    // Both screens learnt of it: give the slower one time to (wrongly) send it too.
                    await new Promise((resolve) => setTimeout(resolve, 3000));
                    const tickets = window.orderwebKitchenTickets.filter((t) => t.number === "KIT-5101");
                    if (tickets.length !== 1) {
                        throw new Error(`KIT-5101 was sent ${tickets.length} times: ${JSON.stringify(tickets)}`);
                    }
                },
            },
            click(".o_orderweb_notification:contains(KIT-5101) .o_notification_buttons button", "open it"),
            statusIs("Accepted"),
            {
                content: "no Accept button: it is accepted already",
                trigger: ".o_orderweb_detail:not(:has(.o_orderweb_accept))",
            },
        ].flat(),
});

registry.category("web_tour.tours").add("pos_orderweb_order_for_later", {
    steps: () =>
        [
            ...openRegister(),
            click(".o_orderweb_navbar_button", "open the online orders"),
            {
                content: "the order for later waits under Later",
                trigger: ".o_orderweb_later .o_orderweb_row[data-number='KIT-5102'] .o_orderweb_status:contains(Later)",
            },
            {
                content: "with its time",
                trigger: ".o_orderweb_later .o_orderweb_row[data-number='KIT-5102'] .o_orderweb_scheduled:contains(:):not(:contains(Invalid))",
            },
            click(".o_orderweb_later .o_orderweb_row[data-number='KIT-5102']", "open it"),
            {
                content: "held: nothing to do with it yet",
                trigger: ".o_orderweb_detail:not(:has(.o_orderweb_accept)):not(:has(.o_orderweb_ready))",
            },
            // The server fires it at its time minus the shop's preparation minutes.
            {
                content: "its time came: it rings and moves to the orders to make",
                trigger: ".o_orderweb_notification:contains(KIT-5102)",
                timeout: 60000, // the most a step may wait
            },
            {
                content: "no longer under Later",
                trigger: ".o_orderweb_list:not(:has(.o_orderweb_later [data-number='KIT-5102']))",
            },
            statusIs("New"),
            click(".o_orderweb_detail .o_orderweb_accept", "accept it"),
            statusIs("Accepted"),
        ].flat(),
});

/** Keep, in this page, what the POS prints through its receipt printer (instead of printing it). */
function catchPrintedTickets() {
    return {
        content: "catch what the receipt printer gets (the shop has no kitchen printer)",
        trigger: ".pos .pos-topheader",
        run: () => {
            window.orderwebPrinted = [];
            window.posmodel.printer.printHtml = async (el) => {
                window.orderwebPrinted.push(el.textContent);
                return true;
            };
        },
    };
}

registry.category("web_tour.tours").add("pos_orderweb_flagged_order", {
    steps: () =>
        [
            ...openRegister(),
            catchPrintedTickets(),
            click(".o_orderweb_navbar_button", "open the online orders"),
            {
                content: "the flagged order is red in the list",
                trigger: ".o_orderweb_row.o_orderweb_flagged.text-danger[data-number='KIT-5103'] .o_orderweb_flag_badge",
            },
            {
                content: "paid online before the screen opened: its total and lines are loaded with it",
                trigger: ".o_orderweb_row[data-number='KIT-5103'] .o_orderweb_total:contains(18.49)",
            },
            click(".o_orderweb_row[data-number='KIT-5103']", "open it"),
            detailHas(".o_orderweb_flags", "peanut"),
            detailHas("", "Sweet potato fries"),
            kitchenTicketShows("KIT-5103", ["RED FLAGS", "peanut"], null),
            {
                content: "new and flagged: no Ready or Done past the acknowledgement, only Accept",
                trigger: ".o_orderweb_detail:has(.o_orderweb_accept):not(:has(.o_orderweb_ready)):not(:has(.o_orderweb_done))",
            },
            click(".o_orderweb_detail .o_orderweb_accept", "accept it"),
            {
                content: "Accept asks to acknowledge the flags first",
                trigger: ".modal:contains(Red flags on KIT-5103):contains(peanut)",
            },
            click(".modal .modal-footer .btn-secondary", "not yet: cancel"),
            statusIs("New"),
            click(".o_orderweb_detail .o_orderweb_accept", "accept it again"),
            click(".modal .modal-footer .btn-primary:contains(Checked, accept)", "checked: accept"),
            statusIs("Accepted"),
            detailHas(".o_orderweb_flags_acknowledged", "Checked by"),
            {
                content: "without kitchen printers, the kitchen ticket is printed: flags, items, add-ons, notes, no prices",
                trigger: ".pos",
                run: async () => {
                    await waitFor(() => window.orderwebPrinted.length, "the kitchen ticket to print");
                    const [ticket] = window.orderwebPrinted;
                    const expected = ["KIT-5103", "RED FLAGS", "peanut", "Pickup", "As soon as possible",
                        "Classic Burger", "With: Extra cheese", "Sweet potato fries", "Severe peanut allergy"];
                    const missing = expected.filter((text) => !ticket.includes(text));
                    // No prices, and the add-on once (in its item's note, not as its priced line too).
                    const extra = ["12.99", "18.49", "4.50", "+ Extra cheese"].filter((text) => ticket.includes(text));
                    if (missing.length || extra.length) {
                        throw new Error(`Not the kitchen ticket (lacks ${missing}, shows ${extra}): ${ticket}`);
                    }
                },
            },
            {
                content: "accepted, the flag is still marked in the list",
                trigger: ".o_orderweb_row.o_orderweb_flagged[data-number='KIT-5103'] .o_orderweb_flag_badge",
            },
            click(".o_orderweb_detail .o_orderweb_ready", "mark it ready"),
            statusIs("Ready"),
            click(".o_orderweb_detail .o_orderweb_done", "hand it over: done"),
            statusIs("Done"),
            detailHas(".o_orderweb_flags", "peanut"),
            {
                content: "done, the flag is still marked in the list",
                trigger: ".o_orderweb_row.o_orderweb_flagged[data-number='KIT-5103'] .o_orderweb_flag_badge",
            },
            {
                content: "the kitchen ticket was printed once, the customer's receipt never",
                trigger: ".pos",
                run: () => {
                    if (window.orderwebPrinted.length !== 1) {
                        throw new Error(`Printed ${window.orderwebPrinted.length} times: ${window.orderwebPrinted}`);
                    }
                },
            },
        ].flat(),
});
