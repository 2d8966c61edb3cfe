"""The spine tumor board: boards and their sessions, cases listed for them, outcomes and the plan to book."""
