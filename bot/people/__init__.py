"""People: who they are to the bot (members and senders), enrolment, the roster, availability
and data protection."""
