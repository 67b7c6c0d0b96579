"""Training days and meetings: announced to everyone or to areas, answered Kommer / Kommer inte,
reminded the day before, attendance marked afterwards; members' training status; only trained
members asked in real call-outs when the organisation wants it; the figures for the annual
report."""
