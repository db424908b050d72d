// QR codes of a pairing URL (issue 11): block characters for a terminal, SVG for the device's page.
import QRCode from 'qrcode';

export function terminalQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'terminal', small: true });
}

export function svgQr(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 2, width: 256 });
}
