"""A major incident staffed as shifts – a support centre or a crisis line: volunteers choose the
shifts they can take, each shift fills to exactly its number by the call-out's own rule, each
shift's team is briefed before it starts, reminded an hour before and stood down at its end,
and leaders follow the shift board in /status CODE and add shifts while the centre is open."""
