// Steps of the tours that only read the page (the same on every series; what differs is the
// series' static/tests/<series>/tours/orderweb_series_steps.js, "@pos_orderweb/../tests/series_steps").
import { renderKitchenTicket } from "@pos_orderweb/../tests/series_steps";

// The test receives the OrderWeb order from Python once the register is open, while the
// page runs: a flag set on the page before it must still be there when the order shows.
export function markPage() {
    return {
        content: "mark the loaded page (a reload would lose the mark)",
        trigger: ".pos .pos-topheader",
        run: () => {
            window.orderwebPageMark = true;
        },
    };
}

export function pageNotReloaded() {
    return {
        content: "the order came without reloading the page",
        trigger: ".pos",
        run: () => {
            if (!window.orderwebPageMark) {
                throw new Error("The POS page was reloaded.");
            }
        },
    };
}

export function notificationShown(number, texts) {
    return texts.map((text) => ({
        content: `the notification of ${number} shows ${text}`,
        trigger: `.o_orderweb_notification:contains(${number}):contains(${text})`,
    }));
}

export function waitingCountIs(count) {
    return {
        content: `${count} online order(s) waiting in the navbar`,
        trigger: `.o_orderweb_navbar_button .o_orderweb_waiting_count:contains(${count})`,
    };
}

export function openFromNotification(number) {
    return {
        content: `open ${number} from its notification`,
        trigger: `.o_orderweb_notification:contains(${number}) .o_notification_buttons button:contains(Open)`,
        run: "click",
    };
}

export function detailHas(selector, text) {
    return {
        content: `the opened order shows ${text}`,
        trigger: `.o_orderweb_detail ${selector}:contains(${text})`,
    };
}

export function click(selector, content) {
    return { content, trigger: selector, run: "click" };
}

export function statusIs(label) {
    return detailHas(".o_orderweb_status", label);
}

/** The kitchen ticket of online order ``number`` shows ``texts``, and not ``addonLine`` (the add-on's own line). */
export function kitchenTicketShows(number, texts, addonLine = "+ Extra cheese") {
    return {
        content: `the kitchen ticket of ${number} shows ${texts.join(", ")}`,
        trigger: ".pos",
        run: async () => {
            const pos = window.posmodel;
            const order = pos.models["pos.order"].find((o) => o.orderweb_number === number);
            const ticket = await renderKitchenTicket(pos, order);
            for (const text of texts) {
                if (!ticket.textContent.includes(text)) {
                    throw new Error(`The kitchen ticket lacks "${text}": ${ticket.textContent}`);
                }
            }
            // The add-on is in its item's note ("With: ..."): its priced line is for the receipt.
            if (addonLine && ticket.textContent.includes(addonLine)) {
                throw new Error(`The kitchen ticket lists "${addonLine}" besides its item's note: ${ticket.textContent}`);
            }
        },
    };
}
