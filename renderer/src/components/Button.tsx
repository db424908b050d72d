import type { ButtonHTMLAttributes } from 'react';

export function Button({ kind = 'secondary', className, type = 'button', ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: 'primary' | 'secondary' | 'quiet' | 'danger' }) {
  return <button type={type} className={`btn btn-${kind}${className ? ` ${className}` : ''}`} {...rest} />;
}
