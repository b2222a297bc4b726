// The package's "main" (wgsl_reflect.node.js) is CommonJS inside a "type": "module" package and
// cannot be imported; its ES module build has no types of its own, so it borrows the package's.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
