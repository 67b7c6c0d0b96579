"""The alarm intake's core: requests from the rescue service or SOS Alarm, the duty leaders'
decision on each, its escalation when nobody answers, the status the requester follows and the
callbacks owed to them. The HTTP side (API and page) is the `intake` package; it only translates.
"""
