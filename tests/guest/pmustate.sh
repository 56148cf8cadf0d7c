# Guest scenario (itsy.run=pmustate): count cycles with the PMU, a line a
# second, for the PMU state tests (tests/payload/pmucount.c).
pmucount
