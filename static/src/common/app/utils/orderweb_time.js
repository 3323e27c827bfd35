import { _t } from "@web/core/l10n/translation";
import { toDateTime } from "@pos_orderweb/adapter";

const { DateTime } = luxon;

/**
 * Online orders' times as the shop reads them: in the shop's time zone (pos.config orderweb_tz,
 * the company's), whatever the zone of the device showing them.
 */

/** A datetime field of a POS model as a luxon DateTime (null if unset): as the series holds it. */
export { toDateTime };

/** ``moment`` in the shop's time zone. */
export function inShopZone(moment, config) {
    return moment.setZone(config?.orderweb_tz || "default");
}

/** "18:36" on the shop's today, "Mon 7 Dec, 18:36" on another day, as the user's language writes them. */
export function formatShopTime(moment, config) {
    const local = inShopZone(moment, config);
    if (local.hasSame(inShopZone(DateTime.now(), config), "day")) {
        return local.toLocaleString(DateTime.TIME_SIMPLE);
    }
    return local.toLocaleString({
        weekday: "short",
        day: "numeric",
        month: "short",
        hour: "numeric",
        minute: "2-digit",
    });
}

/** How long from ``since`` to ``now``: "12 min", "2 h 05 min". */
export function formatWaited(since, now) {
    const minutes = Math.max(0, Math.floor(now.diff(since, "minutes").minutes));
    if (minutes < 60) {
        return _t("%s min", minutes);
    }
    return _t("%(hours)s h %(minutes)s min", {
        hours: Math.floor(minutes / 60),
        minutes: String(minutes % 60).padStart(2, "0"),
    });
}
