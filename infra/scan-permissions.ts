/**
 * What the scanner does to an object it scans, in any account: read it (a version of it too) and
 * its tags, and write the tags back. The scanner's role grants these on the buckets it scans
 * (LambdaAv) and a member account's role on its buckets (LambdaAvMember): one list for both.
 */
export const SCAN_OBJECT_ACTIONS: readonly string[] = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectTagging',
  's3:GetObjectVersionTagging',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
];
