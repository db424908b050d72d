// The page that explains how to trust the zone's own certificate authority (made at activation), in
// the owner's words (docs: /work/shared/UI.md): served over plain HTTP too, since it is read before the
// CA is trusted, so it shows the CA's fingerprint to compare with the one the main server shows.
import { X509Certificate } from 'node:crypto';

import { TRUST_PATH, CA_PATH } from '../api/gateway.js';

export { TRUST_PATH, CA_PATH };

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const WORDS = {
  en: {
    lang: 'en',
    title: 'Trust your home cloud',
    intro: (zone: string) => `Your home cloud “${zone}” made its own certificate when it was set up. Your browser does not know it yet, so it warns you. Tell this device to trust it once, and the warnings go away for every app of your home cloud.`,
    check: 'Before you trust it, check that this code is the same one your main server shows when it starts (the “zone CA fingerprint” line). If it differs, stop: someone else is answering in its place.',
    download: 'Download the certificate',
    steps: [
      ['Windows', 'Open the downloaded file, choose “Install Certificate”, “Current User”, then “Trusted Root Certification Authorities”.'],
      ['macOS', 'Open the downloaded file in Keychain Access, double-click the certificate, and set “When using this certificate” to “Always Trust”.'],
      ['iPhone and iPad', 'Open the file, install the profile in Settings, then turn it on under General → About → Certificate Trust Settings.'],
      ['Android', 'Settings → Security → Encryption & credentials → Install a certificate → CA certificate.'],
      ['Linux', 'Copy the file to /usr/local/share/ca-certificates/ and run “sudo update-ca-certificates”; Firefox has its own list under Settings → Privacy & Security → Certificates.'],
    ],
  },
  zh: {
    lang: 'zh',
    title: '信任你的家庭云',
    intro: (zone: string) => `你的家庭云“${zone}”在设置时生成了自己的证书。浏览器还不认识它，所以会提示不安全。在这台设备上信任它一次，家庭云里的所有应用就不会再提示。`,
    check: '信任之前，请先核对下面这串代码与主服务器启动时显示的是否一致（“zone CA fingerprint”那一行）。如果不一致，请停止：有别人在冒充它。',
    download: '下载证书',
    steps: [
      ['Windows', '打开下载的文件，选择“安装证书”、“当前用户”，再选“受信任的根证书颁发机构”。'],
      ['macOS', '用“钥匙串访问”打开下载的文件，双击证书，把“使用此证书时”设为“始终信任”。'],
      ['iPhone 和 iPad', '打开文件，在“设置”里安装描述文件，再到“通用 → 关于本机 → 证书信任设置”里打开它。'],
      ['Android', '设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书。'],
      ['Linux', '把文件复制到 /usr/local/share/ca-certificates/ 并运行“sudo update-ca-certificates”；Firefox 另有自己的列表：设置 → 隐私与安全 → 证书。'],
    ],
  },
};

/** SHA-256 fingerprint of a PEM certificate, as browsers show it (AB:CD:…). */
export const caFingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

export function trustPage(caPem: string, zoneHost: string, acceptLanguage: string | undefined): string {
  const w = /^\s*zh/i.test(acceptLanguage ?? '') ? WORDS.zh : WORDS.en;
  const fp = caFingerprint(caPem);
  return `<!doctype html><html lang="${w.lang}"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(w.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;background:#fff}
code{display:block;word-break:break-all;background:#f1f3f5;padding:.75rem;border-radius:.5rem;font-size:.9rem}
a.button{display:inline-block;background:#1f6feb;color:#fff;padding:.6rem 1.2rem;border-radius:.5rem;text-decoration:none}
dt{font-weight:600;margin-top:.75rem}@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}code{background:#161b22}}</style>
<h1>${escapeHtml(w.title)}</h1>
<p>${escapeHtml(w.intro(zoneHost))}</p>
<p>${escapeHtml(w.check)}</p>
<code id="fingerprint">${escapeHtml(fp)}</code>
<p><a class="button" href="${CA_PATH}" download="zone-ca.crt">${escapeHtml(w.download)}</a></p>
<dl>${w.steps.map(([os, how]) => `<dt>${escapeHtml(os)}</dt><dd>${escapeHtml(how)}</dd>`).join('')}</dl>
</html>`;
}
