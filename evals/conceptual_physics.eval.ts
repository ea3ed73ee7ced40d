import { defineSubject } from '../src/suite.js'

defineSubject('conceptual_physics')
