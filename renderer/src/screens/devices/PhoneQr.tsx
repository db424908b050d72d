// A QR code a phone scans to open this home cloud's sign-in page (the page's own address). The qrcode
// package is loaded with this file only.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import QRCode from 'qrcode';

export default function PhoneQr({ url }: { url: string }) {
  const { t } = useTranslation();
  const [src, setSrc] = useState<string>();
  useEffect(() => {
    let live = true;
    void QRCode.toDataURL(url, { margin: 1, width: 336, errorCorrectionLevel: 'M' }).then((d) => { if (live) setSrc(d); });
    return () => { live = false; };
  }, [url]);
  return (
    <div className="phone-qr" data-phone-qr={url}>
      {src && <img src={src} alt={t('devices.phone.alt', { url })} />}
      <div style={{ flex: 1, minWidth: 220 }}>
        <p>{t('devices.phone.intro')}</p>
        <p className="code-text" style={{ overflowWrap: 'anywhere' }}><a href={url}>{url}</a></p>
      </div>
    </div>
  );
}
