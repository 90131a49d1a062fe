export {
  createAuthClient,
  type AuthClient,
  type AuthClientOptions,
  type AuthEvent,
  type AuthStatus,
  type CodePurpose,
  type Contact,
  type Credentials,
  type Locks,
  type Me,
  type PageQuery,
  type Registration,
  type Schemas,
  type SecondFactorCode,
  type Session,
  type SignInOutcome,
  type UserQuery,
} from "./client.js";
export { AuthProblem, UNAUTHENTICATED, type FieldError } from "./problem.js";
export { memoryStorage, type StoredTokens, type TokenStorage } from "./storage.js";
export type { components, operations, paths } from "./schema.js";
