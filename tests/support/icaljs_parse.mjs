// Parse an iCalendar file with ical.js (an independent reader) and print each VEVENT as JSON.
// Usage: node icaljs_parse.mjs < invite.ics
// Output: {"method": ..., "events": [{"uid", "sequence", "status", "tzid", "start", "end"}]}
// where start/end are the UTC instants ical.js resolves (ISO 8601, "Z"), and tzid is the zone
// ical.js attached to DTSTART ("floating" when it could not find the VTIMEZONE).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(0, "utf8");
const root = new ICAL.Component(ICAL.parse(text));
const utc = (t) => t.toJSDate().toISOString();

const events = root.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    start: utc(event.startDate),
    end: utc(event.endDate),
  };
});
process.stdout.write(JSON.stringify({ method: root.getFirstPropertyValue("method"), events }) + "\n");
