/* Shared bits of the Check unit tests: one suite per executable, run in
 * Check's default fork mode, exit status = failed or not. */
#ifndef ITSY_TESTS_UNIT_H
#define ITSY_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Run @s and return the process exit status for meson. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* malloc() that fails the test instead of returning NULL. */
static inline void *unit_alloc(size_t size)
{
	void *p = malloc(size);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* A test case named @name with @n tests, added to @s. */
static inline TCase *unit_tcase(Suite *s, const char *name, const TTest *const *t, size_t n)
{
	TCase *tc = tcase_create(name);

	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, t[i]);
	suite_add_tcase(s, tc);
	return tc;
}

#define UNIT_TCASE(s, name, ...) \
	unit_tcase((s), (name), (const TTest *const[]){ __VA_ARGS__ }, \
		   sizeof((const TTest *const[]){ __VA_ARGS__ }) / sizeof(const TTest *))

#endif
