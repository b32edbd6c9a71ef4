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
"""

from .admin import (
    activate_process,
    add_activity,
    add_level,
    copy_process,
    create_process,
    deactivate_process,
    delete_process,
    move_item,
    remove_activity,
    remove_level,
    rename_level,
    set_default_process,
    set_process_active,
    update_activity,
    update_process,
)
from .assignment import (
    apply_default_process,
    assign_process,
    check_off_activity,
    remove_process,
    reopen_activity,
    set_activity_done,
)
from .demo import (
    DEMO_ACTIVITIES,
    seed_demo_process,
)
from .errors import (
    FeatureOff,
    ProcessRefused,
)
from .models import (
    DAYS_MAX,
    NAME_MAX,
    PROCESS_MODELS,
    PURPOSE_MAX,
    LeadActivity,
    LeadProcess,
    ProcessActivity,
    ProcessLevel,
    QualifyingProcess,
)
from .reading import (
    OutlineRow,
    ProcessSummary,
    can_define_processes,
    feature_enabled,
    get_process,
    lead_activities,
    lead_process,
    list_processes,
    open_required_activities,
    process_outline,
)
from .validation import (
    check_default_process,
    clean_activity_fields,
)

__all__ = [
    "DAYS_MAX",
    "DEMO_ACTIVITIES",
    "NAME_MAX",
    "PROCESS_MODELS",
    "PURPOSE_MAX",
    "FeatureOff",
    "LeadActivity",
    "LeadProcess",
    "OutlineRow",
    "ProcessActivity",
    "ProcessLevel",
    "ProcessRefused",
    "ProcessSummary",
    "QualifyingProcess",
    "activate_process",
    "add_activity",
    "add_level",
    "apply_default_process",
    "assign_process",
    "can_define_processes",
    "check_default_process",
    "check_off_activity",
    "clean_activity_fields",
    "copy_process",
    "create_process",
    "deactivate_process",
    "delete_process",
    "feature_enabled",
    "get_process",
    "lead_activities",
    "lead_process",
    "list_processes",
    "move_item",
    "open_required_activities",
    "process_outline",
    "remove_activity",
    "remove_level",
    "remove_process",
    "rename_level",
    "reopen_activity",
    "seed_demo_process",
    "set_activity_done",
    "set_default_process",
    "set_process_active",
    "update_activity",
    "update_process",
]
