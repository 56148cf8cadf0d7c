/*
 * The register half of tests/payload/svecheck.c: every Z and P register
 * and FFR are loaded with a pattern, held through a spin of scalar code,
 * and stored back, with no system call in between (Linux discards most
 * SVE state at a system call, not at a preemption or a migration).
 *
 *   uint64_t sve_vl_bytes(void);
 *   void sve_hold(const uint8_t *z, const uint8_t *p, uint8_t *z_out,
 *                 uint8_t *p_out, uint8_t *ffr_out, uint64_t spins);
 *
 * z: 32 vectors of VL bytes; p: 16 predicates of VL / 8 bytes; FFR is set
 * to the first 16 byte elements true (WRFFR wants such a prefix).
 */
	.arch	armv8.2-a+sve
	.text

	.global	sve_vl_bytes
	.type	sve_vl_bytes, %function
sve_vl_bytes:
	rdvl	x0, #1
	ret

	.global	sve_hold
	.type	sve_hold, %function
sve_hold:
	/* d8-d15 (the low halves of z8-z15) are the caller's. */
	stp	d8, d9, [sp, #-64]!
	stp	d10, d11, [sp, #16]
	stp	d12, d13, [sp, #32]
	stp	d14, d15, [sp, #48]
	ptrue	p0.b, vl16
	wrffr	p0.b
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	ldr	z\n, [x0, #\n, mul vl]
	.endr
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	ldr	p\n, [x1, #\n, mul vl]
	.endr
1:	subs	x5, x5, #1
	b.hi	1b
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	str	z\n, [x2, #\n, mul vl]
	.endr
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	str	p\n, [x3, #\n, mul vl]
	.endr
	rdffr	p0.b
	str	p0, [x4]
	ldp	d14, d15, [sp, #48]
	ldp	d12, d13, [sp, #32]
	ldp	d10, d11, [sp, #16]
	ldp	d8, d9, [sp], #64
	ret
