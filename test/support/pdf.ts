import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A minimal, valid PDF: one page of text and, optionally, a file attached to it (an embedded
 * file stream, which ClamAV extracts and scans like any attachment).
 */
export function minimalPdf(options: { text?: string; attachment?: string } = {}): Buffer {
  const content = `BT /F1 12 Tf 20 100 Td (${options.text ?? 'Payslip'}) Tj ET`;
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R${options.attachment === undefined ? '' : ' /Names << /EmbeddedFiles << /Names [(attachment.bin) 6 0 R] >> >>'} >>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    stream('', content),
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ...(options.attachment === undefined
      ? []
      : [
          '<< /Type /Filespec /F (attachment.bin) /EF << /F 7 0 R >> >>',
          stream('/Type /EmbeddedFile ', options.attachment),
        ]),
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

function stream(dictionary: string, data: string): string {
  return `<< ${dictionary}/Length ${Buffer.byteLength(data, 'latin1')} >>\nstream\n${data}\nendstream`;
}

/**
 * Encrypts a PDF with qpdf (AES-256, as current PDF writers do). With a user password nobody can
 * read it without the password; with only an owner password (empty user password) any reader,
 * ClamAV included, can decrypt it.
 */
export function encryptPdf(pdf: Buffer, passwords: { user: string; owner: string }): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lambda-av-pdf-'));
  try {
    writeFileSync(path.join(dir, 'in.pdf'), pdf);
    execFileSync('qpdf', ['--encrypt', passwords.user, passwords.owner, '256', '--', 'in.pdf', 'out.pdf'], {
      cwd: dir,
    });
    return readFileSync(path.join(dir, 'out.pdf'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
