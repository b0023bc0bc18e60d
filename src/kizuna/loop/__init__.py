"""Closing the loop: departments, rules, cases on an SLA, follow-ups, improvements, praise."""
