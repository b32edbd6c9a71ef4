"""Lead qualifying processes (the Dynamics AX 2012 *lead qualifying process* key).

An administrator defines qualifying processes: a named hierarchy of levels
(levels may nest) holding activities (purpose, required or not, days to start and
to finish, responsible role). A process is assigned to a lead; its activities are
then copied onto the lead with due dates counted from the assignment date, and a
rep checks them off. While required activities are open, qualifying the lead is
refused (see `open_required_activities`, called by `qualify.py`).

Everything here obeys the org setting `lead_qualifying_process`. Off: nothing can
be defined, assigned or checked off and nothing blocks qualifying, but the data
is kept, so switching the feature on again brings it all back.

Decisions where the specification is silent:

- Days to start and days to finish both count from the assignment date
  (due start = assigned on + days to start, due finish = assigned on + days to
  finish), so days to finish is never less than days to start.
- A copy is named "Copy of X" and is inactive, so it can be edited before anyone
  can assign it.
- A process that is assigned to any lead cannot be deleted (deactivate it
  instead): the leads' activities came from it.
- Assigning a process to a lead that already has one replaces the lead's
  activities with fresh copies, unless some are already done: then it is refused,
  so that no check-off is silently thrown away. The lead's activities are copies,
  so later edits of the process never change leads it was assigned to.
- Any user may assign a process and check activities off (the responsible role
  says who is expected to do an activity; it does not restrict who may tick it).
  A closed lead is read-only: its activities cannot change until it is reactivated.

The package, lowest first: `models` (the tables), `errors`, `validation`,
`reading` (read models and the guards), `admin` (defining processes),
`assignment` (a process on a lead, activities checked off) and `demo`.
Import from those modules (or from `models`): this front imports nothing, so that
reading `models.processes.reading` does not load the services above it.
"""
