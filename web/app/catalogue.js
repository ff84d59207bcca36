/**
 * Every UI string of the browser client, in English and Spanish (same keys: a test checks).
 * `{name}` marks a placeholder `t()` fills in. Keep the tone calm and plain.
 *
 * @module app/catalogue
 */

const en = {
  // notifications (home screen card)
  'notify.title': 'Notifications on this device',
  'notify.hint': 'Get a notice when someone asks for your support or writes to you. Notices never show a name or a message.',
  'notify.on': 'Notifications are on.',
  'notify.off': 'Notifications are off.',
  'notify.blocked': 'Notifications are blocked in this browser’s settings.',
  'notify.turnOn': 'Turn on notifications',
  'notify.turnOff': 'Turn off notifications',
  'notify.notAllowed': 'The browser did not allow notifications. You can change this in its site settings.',
  'notify.newMessage': 'New message',

  // offline and sign-in
  'offline.banner': 'Offline — your messages will be sent when you’re back',
  'signin.failedTitle': 'Cannot reach Peerhaven',
  'signin.failedBody': 'The server cannot be reached right now. Check your connection; this page tries again by itself.',
  'signin.retry': 'Try again',
  'crisis.now': 'If you need help now, these lines are free and confidential:',
};

const es = {
  'notify.title': 'Notificaciones en este dispositivo',
  'notify.hint': 'Recibe un aviso cuando alguien pida tu apoyo o te escriba. Los avisos nunca muestran un nombre ni un mensaje.',
  'notify.on': 'Las notificaciones están activadas.',
  'notify.off': 'Las notificaciones están desactivadas.',
  'notify.blocked': 'Las notificaciones están bloqueadas en la configuración de este navegador.',
  'notify.turnOn': 'Activar notificaciones',
  'notify.turnOff': 'Desactivar notificaciones',
  'notify.notAllowed': 'El navegador no permitió las notificaciones. Puedes cambiarlo en la configuración del sitio.',
  'notify.newMessage': 'Mensaje nuevo',

  'offline.banner': 'Sin conexión: tus mensajes se enviarán cuando vuelvas a estar en línea',
  'signin.failedTitle': 'No se puede conectar con Peerhaven',
  'signin.failedBody': 'No se puede conectar con el servidor ahora. Revisa tu conexión; esta página lo vuelve a intentar sola.',
  'signin.retry': 'Intentar de nuevo',
  'crisis.now': 'Si necesitas ayuda ahora, estas líneas son gratuitas y confidenciales:',
};

export const CATALOGUE = Object.freeze({ en: Object.freeze(en), es: Object.freeze(es) });
