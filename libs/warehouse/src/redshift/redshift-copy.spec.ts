import { describe, expect, it } from 'vitest';
import { copyFromS3, redshiftLiteral, type RedshiftCopyOptions } from './redshift-copy';

const columns = ['"id"', '"val"', '"__tl_op"'];
const uri =
  's3://tablelane-staging/staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv.gz';
const role: RedshiftCopyOptions['credentials'] = {
  kind: 'iam-role',
  roleArn: 'arn:aws:iam::123456789012:role/tablelane-copy',
};
const keys: RedshiftCopyOptions['credentials'] = {
  kind: 'access-keys',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const copy = (options: Partial<RedshiftCopyOptions>, from = uri) =>
  copyFromS3('"tablelane_stage"', columns, from, {
    credentials: role,
    gzip: false,
    manifest: false,
    ...options,
  });

describe('Redshift COPY FROM S3', () => {
  it('loads plain CSV with an IAM role', () => {
    expect(copy({}).text).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("id", "val", "__tl_op") FROM 's3://tablelane-staging/staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv.gz' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF"`,
    );
  });

  it('adds GZIP, MANIFEST and REGION when asked', () => {
    expect(copy({ gzip: true }).text).toMatch(/ GZIP$/);
    expect(
      copy({ manifest: true }, 's3://tablelane-staging/staging/x/0/1-9.manifest').text,
    ).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("id", "val", "__tl_op") FROM 's3://tablelane-staging/staging/x/0/1-9.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF MANIFEST"`,
    );
    expect(copy({ region: 'eu-west-1', gzip: true }).text).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("id", "val", "__tl_op") FROM 's3://tablelane-staging/staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv.gz' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF GZIP REGION 'eu-west-1'"`,
    );
  });

  it('sends access keys and a session token, but never shows them in the redacted statement', () => {
    const withKeys = copy({ credentials: keys });
    expect(withKeys.text).toContain(
      "ACCESS_KEY_ID 'AKIAIOSFODNN7EXAMPLE' SECRET_ACCESS_KEY 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'",
    );
    expect(withKeys.redacted).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("id", "val", "__tl_op") FROM 's3://tablelane-staging/staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv.gz' ACCESS_KEY_ID '<redacted>' SECRET_ACCESS_KEY '<redacted>' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF"`,
    );
    const temporary = copy({ credentials: { ...keys, sessionToken: 'FwoGZXIvYXdzEBYaDE+token/AB==' } });
    expect(temporary.text).toContain("SESSION_TOKEN 'FwoGZXIvYXdzEBYaDE+token/AB=='");
    expect(temporary.redacted).not.toMatch(/AKIA|wJalr|FwoGZ/);
    expect(temporary.redacted).toContain("SESSION_TOKEN '<redacted>'");
  });

  it('shows the IAM role in the redacted statement: it is not a secret', () => {
    expect(copy({}).redacted).toBe(copy({}).text);
  });

  it('refuses values that would not be safe inside a literal', () => {
    expect(() => copy({}, "s3://bucket/key'; DROP TABLE x; --")).toThrow(/invalid S3 URI/);
    expect(() => copy({ credentials: { kind: 'iam-role', roleArn: "arn:aws:iam::1:role/x'" } })).toThrow(
      /ARN/,
    );
    expect(() => copy({ region: "us-east-1' --" })).toThrow(/region/);
    expect(() => copy({ credentials: { ...keys, secretAccessKey: "x'y" } })).toThrow(/secret access key for/);
    // A refused secret is not echoed in the error.
    expect(() => copy({ credentials: { ...keys, secretAccessKey: "x'y" } })).not.toThrow(/x'y/);
  });

  it('accepts chained IAM roles', () => {
    const chained = 'arn:aws:iam::123456789012:role/a,arn:aws:iam::210987654321:role/b';
    expect(copy({ credentials: { kind: 'iam-role', roleArn: chained } }).text).toContain(
      `IAM_ROLE '${chained}'`,
    );
  });

  it('writes literals with quotes and backslashes doubled, refusing control characters', () => {
    expect(redshiftLiteral("it's \\N")).toBe("'it''s \\\\N'");
    expect(() => redshiftLiteral('a\nb')).toThrow(/control/);
  });
});
