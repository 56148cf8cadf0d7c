# Guest scenario (itsy.run=svecheck): hold patterns in every SVE register,
# checked every round (tests/payload/svecheck.c).
svecheck
