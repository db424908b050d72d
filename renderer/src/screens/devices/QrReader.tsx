// Reads a QR code with the camera or from a picture. Chromium has no BarcodeDetector here, so the
// decoding is jsQR (pure JS, ~45 KB gzipped), loaded with this file only when the owner pairs a device.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import jsQR from 'jsqr';
import { Button } from '../../components/Button';

/** Decodes the first QR code in an image; undefined when there is none. */
export function decodeImage(data: ImageData): string | undefined {
  return jsQR(data.data, data.width, data.height, { inversionAttempts: 'attemptBoth' })?.data || undefined;
}

function pixelsOf(source: CanvasImageSource, width: number, height: number): ImageData {
  // Large photos are scaled down: jsQR's time grows with the pixel count, and 1024 px is plenty.
  const scale = Math.min(1, 1024 / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

export default function QrReader({ onText }: { onText: (text: string) => void }) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream>();
  const [problem, setProblem] = useState<string>();
  const [reading, setReading] = useState(false);

  const stop = () => {
    stream?.getTracks().forEach((tr) => tr.stop());
    setStream(undefined);
  };

  useEffect(() => {
    if (!stream || !video.current) return;
    const v = video.current;
    v.srcObject = stream;
    void v.play().catch(() => undefined);
    let done = false;
    const timer = setInterval(() => {
      if (done || v.readyState < 2 || !v.videoWidth) return;
      const text = decodeImage(pixelsOf(v, v.videoWidth, v.videoHeight));
      if (text) {
        done = true;
        stream.getTracks().forEach((tr) => tr.stop());
        setStream(undefined);
        onText(text);
      }
    }, 250);
    return () => { done = true; clearInterval(timer); };
  }, [stream, onText]);
  // The camera goes off when the owner leaves the page.
  useEffect(() => () => stream?.getTracks().forEach((tr) => tr.stop()), [stream]);

  const startCamera = async () => {
    setProblem(undefined);
    try {
      setStream(await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false }));
    } catch {
      setProblem('devices.pair.cameraDenied');
    }
  };

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    setProblem(undefined);
    setReading(true);
    try {
      const bitmap = await createImageBitmap(file);
      const text = decodeImage(pixelsOf(bitmap, bitmap.width, bitmap.height));
      bitmap.close();
      if (text) onText(text); else setProblem('devices.pair.noCode');
    } catch {
      setProblem('devices.pair.noCode');
    } finally {
      setReading(false);
    }
  };

  return (
    <div data-qr-reader>
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
        {stream ? <Button onClick={stop} data-action="stop-camera">{t('devices.pair.stopCamera')}</Button>
          : <Button onClick={() => void startCamera()} data-action="camera">{t('devices.pair.camera')}</Button>}
        <label className="btn">
          {t('devices.pair.file')}
          <input type="file" accept="image/*" className="sr-only" data-input="qr-image" onChange={(e) => { void readFile(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
      </div>
      {stream && (
        <div style={{ marginTop: 'var(--space-3)' }}>
          <video ref={video} className="qr-video" muted playsInline aria-label={t('devices.pair.cameraLabel')} data-camera />
          <p className="muted" role="status">{t('devices.pair.cameraLooking')}</p>
        </div>
      )}
      {reading && <p className="muted" role="status">{t('devices.pair.reading')}</p>}
      {problem && <div className="notice notice-bad" role="alert" style={{ marginTop: 'var(--space-3)' }}><p>{t(problem)}</p></div>}
    </div>
  );
}
