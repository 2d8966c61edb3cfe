"""The schedulers' desk: calendars, queues, slot pickers for staff pages."""
