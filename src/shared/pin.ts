/**
 * Compile-time pins. Where a type is written by hand (for its doc comments, or
 * because a public signature reads better that way) beside the validator that
 * checks the same value, pin the two together:
 *
 * ```ts
 * const _pinned = true satisfies Same<MigrationArgs, ObjectType<typeof vMigrationArgs>>;
 * ```
 *
 * The build then fails ("Type 'true' does not satisfy the expected type
 * 'false'") as soon as they differ in either direction, an added optional
 * field included, which two `satisfies` checks of assignability would miss.
 */
export type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
