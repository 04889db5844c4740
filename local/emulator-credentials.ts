/**
 * The local emulators accept any credentials and any region; the SDK still wants some. Sets placeholders only
 * where none are given, so a user's own settings (LocalStack, a real account) win.
 */
export function useEmulatorCredentials(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
}
