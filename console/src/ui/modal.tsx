// A modal dialog on the native <dialog> element: focus is trapped and Escape closes it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const close = () => onClose();
    dialog?.addEventListener('close', close);
    return () => dialog?.removeEventListener('close', close);
  }, [onClose]);
  return (
    <dialog ref={ref} class={wide ? 'modal wide' : 'modal'} aria-label={title}>
      <header class="modal-header">
        <h2>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={() => ref.current?.close()}>
          ×
        </button>
      </header>
      <div class="modal-body">{children}</div>
    </dialog>
  );
}
