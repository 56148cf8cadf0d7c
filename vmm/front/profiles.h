/* Compatibility profiles on the command line:
 *   itsy host-profile [--json]            what this host's KVM offers
 *   itsy profile intersect A.json B.json... the pool every host honours
 *   itsy profile check POOL.json          can this host take such guests
 * (itsy run --profile POOL.json starts a guest at a pool's baseline.) */
#ifndef ITSY_PROFILES_H
#define ITSY_PROFILES_H

/* Each returns the process exit status. */
int host_profile_main(int argc, char **argv);
int profile_main(int argc, char **argv);

#endif
